# msg: plain.eml
require ["variables", "fileinto", "encoded-character"];
set "t" text:
.one
..two
.
;
if string :is "${t}" ".one${hex:0d 0a}.two${hex:0d 0a}" { fileinto "Wrong"; }
if string :matches "${t}" ".one*.two*" { fileinto "Stuffed"; }
