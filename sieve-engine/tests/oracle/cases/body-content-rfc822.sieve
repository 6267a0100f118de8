# msg: nested.eml
require ["body", "fileinto"];
if body :content "message/rfc822" :contains "Subject: Forwarded note" { fileinto "Header"; }
if body :content "message/rfc822" :contains "review the numbers" { fileinto "Body"; }
if body :content "text/plain" :contains "review the numbers" { fileinto "Nested"; }
