# msg: nested.eml
require ["mime", "fileinto"];
if header :mime :anychild :contenttype "content-type" "application/octet-stream" { fileinto "Binary"; }
if exists :mime :anychild "content-disposition" { fileinto "Disposition"; }
