require ["body", "fileinto"];
if body :contains "viagra" { fileinto "Junk"; }
