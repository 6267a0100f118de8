require ["environment", "fileinto"];
if environment :contains "name" "x-nothing" { fileinto "N"; }
if environment :is "domain" "" { fileinto "EmptyDomain"; }
