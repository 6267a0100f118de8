require ["fileinto", "subaddress"];
if address :detail "cc" "dev" { fileinto "Dev"; }
if address :user "cc" "team" { fileinto "TeamUser"; }
