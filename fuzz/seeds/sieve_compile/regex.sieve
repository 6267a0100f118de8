require ["regex", "variables", "fileinto"];
if header :regex "subject" "^([A-Za-z]+) report" { fileinto "R-${1}"; }
