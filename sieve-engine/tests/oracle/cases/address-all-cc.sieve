require "fileinto";
if address :all :is "cc" "team+dev@example.net" { fileinto "Team"; }
