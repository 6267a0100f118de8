# msg: plain.eml
require "variables";
set "ns.x" "1";
