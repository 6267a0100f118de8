require ["variables", "fileinto"];
set :upperfirst "a" "hello";
set :length "n" "${a}";
fileinto "${a}-${n}";
