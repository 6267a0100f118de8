# msg: nested.eml
require ["body", "fileinto"];
if body :content "text/" :contains "" { fileinto "A"; }
if body :content "/plain" :contains "" { fileinto "B"; }
if body :content "text/plain/x" :contains "" { fileinto "C"; }
if body :content "text" :contains "Revenue" { fileinto "D"; }
