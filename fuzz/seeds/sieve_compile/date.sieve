require ["date", "relational", "fileinto"];
if date :is "date" "year" "2026" { fileinto "Y2026"; }
if date :zone "+0000" :is "date" "hour" "22" { fileinto "UTC22"; }
# msg: mime.eml
