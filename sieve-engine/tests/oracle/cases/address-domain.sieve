require "fileinto";
if address :domain :is "from" "example.org" { fileinto "Org"; }
if address :localpart :is "to" "carol" { fileinto "Carol"; }
