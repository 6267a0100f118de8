require "fileinto";
if anyof (header :is "x-nope" "1", not exists "x-nope") { fileinto "Yes"; } else { fileinto "No"; }
