# msg: plain.eml
require ["variables", "fileinto"];
set "q" "a
b";
set "t" text:
a
b
.
;
if string :is "${q}${q}" "${t}" { fileinto "Wrong"; }
if string :is "${q}
" "${t}" { fileinto "Same"; }
