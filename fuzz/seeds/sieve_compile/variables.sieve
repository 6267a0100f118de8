require ["variables", "fileinto"];
if header :matches "subject" "* report *" {
  set :lower "kind" "${1}";
  fileinto "Folder/${kind}";
}
