# msg: plain.eml
require ["include", "variables", "fileinto"];
global "g";
set "g" "G1";
set "global.h" "H1";
fileinto "${g}-${global.h}";
