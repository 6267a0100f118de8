require "vacation";
vacation "gone";
discard;
