require ["index", "fileinto"];
if address :index 2 :is "to" "carol@example.com" { fileinto "Second"; }
if address :index 1 :last :is "to" "carol@example.com" { fileinto "Last"; }
