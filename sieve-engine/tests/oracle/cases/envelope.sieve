require ["envelope", "fileinto"];
if envelope :is "from" "alice@example.org" { fileinto "FromAlice"; }
if envelope :domain "to" "example.net" { fileinto "ToNet"; }
