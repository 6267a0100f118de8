# msg: nested.eml
require ["body", "fileinto"];
if body :content "multipart" :contains "prologue of the outer" { fileinto "Prologue"; }
if body :content "multipart" :contains "--inner" { fileinto "Boundary"; }
if body :content "multipart" :contains "epilogue" { fileinto "Epilogue"; }
