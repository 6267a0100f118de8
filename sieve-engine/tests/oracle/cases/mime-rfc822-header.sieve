# msg: nested.eml
require ["foreverypart", "mime", "fileinto"];
foreverypart {
  if header :mime "x-note" "inner" { fileinto "Inner"; break; }
}
