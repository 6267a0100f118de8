# msg: plain.eml
require ["regex", "variables", "fileinto"];
set "r" "(";
if header :regex "subject" "${r}" { fileinto "Matched"; }
fileinto "After";
