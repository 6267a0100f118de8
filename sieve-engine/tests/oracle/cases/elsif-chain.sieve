require "fileinto";
if header :is "x-spam-flag" "NO" { fileinto "A"; }
elsif header :is "x-spam-flag" "YES" { fileinto "B"; }
else { fileinto "C"; }
