require ["body", "fileinto"];
if body :text :contains "12345" { fileinto "Invoices"; }
# msg: mime.eml
