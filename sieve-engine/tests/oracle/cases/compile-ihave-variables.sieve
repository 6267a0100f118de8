# msg: plain.eml
require ["ihave", "fileinto"];
if ihave "variables" { fileinto "Yes"; } else { fileinto "No"; }
