require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" { fileinto "Spam"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "TwoTo"; }
