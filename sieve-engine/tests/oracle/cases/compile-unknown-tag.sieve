# msg: plain.eml
require "fileinto";
fileinto :frop "A";
