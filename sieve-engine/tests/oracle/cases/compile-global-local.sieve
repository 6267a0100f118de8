# msg: plain.eml
require ["variables", "include"];
set "a" "1";
global "a";
