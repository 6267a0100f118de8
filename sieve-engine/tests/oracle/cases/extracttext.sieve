require ["foreverypart", "mime", "extracttext", "variables", "fileinto"];
foreverypart {
  if header :mime :subtype "content-type" "plain" {
    extracttext :first 7 "t";
    fileinto "${t}";
  }
}
# msg: mime.eml
