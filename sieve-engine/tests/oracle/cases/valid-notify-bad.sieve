# msg: plain.eml
require ["enotify", "fileinto"];
if valid_notify_method "mailto:bob%23example.net" { fileinto "Valid"; } else { fileinto "Invalid"; }
