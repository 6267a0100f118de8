require "fileinto";
if header :contains "subject" "Äpfel" { fileinto "Obst"; }
# msg: mime.eml
