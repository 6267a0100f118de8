# msg: plain.eml
require ["include", "variables"];
set "s" "x";
include "${s}";
