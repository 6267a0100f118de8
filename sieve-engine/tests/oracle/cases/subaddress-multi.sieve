# msg: nested.eml
require ["subaddress", "fileinto"];
if address :user "cc" "bob" { fileinto "User"; }
if address :detail "cc" "lists" { fileinto "Detail"; }
