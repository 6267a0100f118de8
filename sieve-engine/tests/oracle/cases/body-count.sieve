# msg: nested.eml
require ["body", "fileinto", "relational", "comparator-i;ascii-numeric"];
if body :content "text" :count "eq" :comparator "i;ascii-numeric" "3" { fileinto "Three"; }
if body :content "text" :count "eq" :comparator "i;ascii-numeric" "2" { fileinto "Two"; }
