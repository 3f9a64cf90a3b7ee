#!/usr/bin/perl
# ticket_preflight pass: only what a browser sends as a CORS preflight
# passes without a ticket (OPTIONS, Origin, a method token in
# Access-Control-Request-Method, no body); Authorization, Cookie and the
# configured ticket sources never reach the backend with it; it is never
# recorded as allowed, and as event "preflight" only where
# ticket_audit_events names it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use TicketTest;

plan(tests => 28);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF2');
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /pre/ {
            ticket user;
            ticket_preflight pass;
            ticket_token header:X-Ticket cookie:tk arg:t header:Authorization;
            ticket_audit_log %%DIR%%/logs/pre.jsonl;
            ticket_audit_events denied allowed preflight;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /quiet/ {
            ticket user;
            ticket_preflight pass;
            ticket_audit_log %%DIR%%/logs/quiet.jsonl;
            ticket_audit_events denied allowed;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "auth=$http_authorization cookie=$http_cookie xt=$http_x_ticket args=$args\n";
        }
    }
EOF2

my $tk = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                  kind => 'user');

my @cors = (Origin => 'https://app.example',
            'Access-Control-Request-Method' => 'PUT');

sub raw {
    my ($req) = @_;
    return TicketTest::parse_response($t->http($req));
}

# a browser's preflight, carrying what a browser never sends with one

my $r = $t->get("/pre/x?q=1&t=$tk&T=x", method => 'OPTIONS',
                headers => [@cors, Authorization => "Bearer $tk",
                            Cookie => "tk=$tk; a=1", 'X-Ticket' => $tk]);
is($r->{status}, 200, 'preflight: passed');
is($r->{body}, "auth= cookie= xt= args=q=1\n",
   'preflight: no Authorization, Cookie or ticket source reached the backend');

# argument copies only a backend's parser finds: after a ";" (Rack, older
# Python), named "+t", "t%00x" or "t[0]"
$r = $t->get("/pre/z?q=1;t=$tk;+t=$tk&t%00x=$tk&t[0]=$tk&b=2;c=3",
             method => 'OPTIONS', headers => \@cors);
is($r->{status}, 200, 'preflight, hidden argument copies: passed');
is($r->{body}, "auth= cookie= xt= args=q=1&b=2;c=3\n",
   'preflight: no copy of the argument source reached the backend');

$r = $t->get('/pre/y', method => 'OPTIONS', headers => \@cors);
is($r->{status}, 200, 'plain preflight: passed');
is($r->{body}, "auth= cookie= xt= args=\n", 'plain preflight: as sent');

$r = $t->get('/quiet/x', method => 'OPTIONS', headers => \@cors);
is($r->{status}, 200, 'preflight, not recorded: passed');

# not a preflight: checked as any request

my @not = (
    [ 'with a body',
      "OPTIONS /pre/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: PUT\r\n"
      . "Content-Length: 5\r\n\r\nhello" ],
    [ 'with a chunked body',
      "OPTIONS /pre/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: PUT\r\n"
      . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" ],
    [ 'method not a token',
      "OPTIONS /pre/d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: GET, POST\r\n\r\n" ],
    [ 'method empty',
      "OPTIONS /pre/e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: \r\n\r\n" ],
    [ 'two Origins',
      "OPTIONS /pre/f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\nOrigin: https://b.example\r\n"
      . "Access-Control-Request-Method: PUT\r\n\r\n" ],
    [ 'two methods',
      "OPTIONS /pre/g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: PUT\r\n"
      . "Access-Control-Request-Method: GET\r\n\r\n" ],
    [ 'no Origin',
      "OPTIONS /pre/h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Access-Control-Request-Method: PUT\r\n\r\n" ],
    [ 'not OPTIONS',
      "POST /pre/i HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Origin: https://app.example\r\n"
      . "Access-Control-Request-Method: PUT\r\nContent-Length: 0\r\n\r\n" ],
);

for my $case (@not) {
    my ($name, $req) = @$case;
    $r = raw($req);
    is($r->{status}, 401, "$name: not a preflight, 401");
}

# with a ticket, a non-preflight OPTIONS with a body is checked and allowed

$r = raw("OPTIONS /pre/j HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
         . "Origin: https://app.example\r\n"
         . "Access-Control-Request-Method: PUT\r\n"
         . "Authorization: Bearer $tk\r\n"
         . "Content-Length: 5\r\n\r\nhello");
is($r->{status}, 200, 'OPTIONS with a body and a ticket: checked, allowed');
like($r->{body}, qr/^auth=Bearer /, 'OPTIONS with a ticket: credentials kept');

$t->stop;

my $json = JSON::PP->new;
my @recs = map { $json->decode($_) }
           grep { length } split /\n/, $t->read_file('logs/pre.jsonl');
my %by_uri;
push @{$by_uri{$_->{uri}}}, $_ for @recs;

for my $uri ('/pre/x', '/pre/y') {
    my @r = @{$by_uri{$uri} // []};
    is(scalar @r, 1, "$uri: one record");
    is($r[0]{event}, 'preflight', "$uri: event preflight");
    is($r[0]{status}, 200, "$uri: status 200");
}

is($by_uri{'/pre/j'}[0]{event}, 'allowed', 'checked OPTIONS: allowed');
is($by_uri{'/pre/b'}[0]{event}, 'denied', 'OPTIONS with a body: denied');
is($t->read_file('logs/quiet.jsonl'), '',
   'preflight where the events do not name it: no record');
ok(!grep({ $_->{event} eq 'allowed' && $_->{uri} =~ m{^/pre/[xy]$} } @recs),
   'a preflight is never recorded as allowed');

$t->done;
