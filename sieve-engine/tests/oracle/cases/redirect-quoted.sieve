redirect "\"Carol\"@example.com";
redirect "\"c d\"@example.com";
