require "fileinto";
if header :matches "subject" "Quarterly*[list]" { fileinto "Q"; }
if header :matches "subject" "?uarterly*" { fileinto "Q2"; }
