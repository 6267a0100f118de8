require "fileinto";
if allof (exists "list-id", size :under 10K) { fileinto "Lists"; }
if size :over 1M { discard; }
