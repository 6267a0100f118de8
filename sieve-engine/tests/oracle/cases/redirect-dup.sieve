redirect "carol@example.com";
redirect "carol@example.com";
