require "fileinto";
if header :is :comparator "i;octet" "subject" "quarterly report [list]" { fileinto "Wrong"; }
if header :is :comparator "i;ascii-casemap" "subject" "quarterly report [list]" { fileinto "Right"; }
