# msg: nested.eml
require ["body", "variables", "fileinto"];
if header :matches "subject" "* report" { set "a" "${1}"; }
if body :text :matches "*grew*" { fileinto "x${1}"; }
fileinto "${a}";
