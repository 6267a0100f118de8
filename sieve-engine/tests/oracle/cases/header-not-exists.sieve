require "fileinto";
if not header :contains "x-missing" "" { fileinto "NoHeader"; }
if header :is "cc" "" { fileinto "EmptyCc"; }
