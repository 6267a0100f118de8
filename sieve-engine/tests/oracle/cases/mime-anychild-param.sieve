require ["mime", "fileinto"];
if header :mime :anychild :param "charset" "content-type" "utf-8" { fileinto "Utf8"; }
if exists :mime :anychild "content-transfer-encoding" { fileinto "Cte"; }
if header :mime :type "content-type" "multipart" { fileinto "Multi"; }
# msg: mime.eml
