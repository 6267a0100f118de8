require ["foreverypart", "mime", "fileinto", "variables"];
foreverypart {
  if header :mime :contenttype "content-type" "application/pdf" {
    fileinto "Pdf";
    break;
  }
}
# msg: mime.eml
