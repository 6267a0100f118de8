# msg: plain.eml
require "foreverypart";
foreverypart { foreverypart { foreverypart { foreverypart { foreverypart { keep; } } } } }
