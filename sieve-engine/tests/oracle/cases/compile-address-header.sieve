# msg: plain.eml
if address :is "subject" "x" { discard; }
