require "nonexistent-extension";
keep;
