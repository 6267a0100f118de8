# msg: nested.eml
require ["body", "fileinto"];
if body :raw :contains "AAECAwQF" { fileinto "Raw"; }
if body :text :contains "AAECAwQF" { fileinto "Text"; }
