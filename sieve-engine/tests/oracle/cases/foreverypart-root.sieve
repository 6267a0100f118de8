# msg: nested.eml
require ["foreverypart", "mime", "variables", "fileinto"];
set "n" "";
foreverypart { set "n" "${n}p"; }
fileinto "${n}";
