#!/usr/bin/perl
# Read as an attacker: a location that requires a role sends its 403 to a
# named location (error_page 403 = @name).  A named location inherits the
# server's ticket settings, not the location's: if it checked the ticket
# afresh, a ticket without the role would be allowed there, with the
# original URI and its claims forwarded to the backend.  A refusal stands
# in every scope its error page leads to; an error page that should be
# served says "ticket off".

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 15);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF2');
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        ticket user;
        ticket_set_header X-User sub;

        location /admin/ {
            ticket_require_role admin;
            error_page 401 403 = @denied;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location @denied {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /admin2/ {
            ticket_require_role admin;
            error_page 401 403 = @page;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location @page {
            ticket off;
            return 403 "custom page user=$http_x_user\n";
        }

        location /rewrite/ {
            rewrite ^ /admin/from-rewrite last;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $request_uri user=$http_x_user\n";
        }
    }
EOF2

my $admin = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                     kind => 'user', roles => 'admin');
my $reader = $t->mint(key => $k->{key}, kid => 'k1', sub => 'bob',
                      kind => 'user', roles => 'reader');

my $r = $t->get('/admin/x', ticket => $admin);
is($r->{status}, 200, 'admin: 200');
is($r->{body}, "backend /admin/x user=alice\n", 'admin: backend, claims');

$r = $t->get('/admin/x', ticket => $reader);
is($r->{status}, 403, 'reader, error_page into a named location: 403');
unlike($r->{body}, qr/backend/, 'reader: the backend never saw it');

$r = $t->get('/admin/x', ticket => $reader, headers => ['X-User' => 'alice']);
is($r->{status}, 403, 'reader claiming X-User: 403');
unlike($r->{body}, qr/backend/, 'reader claiming X-User: no backend');

my @www = $r->{raw_headers} =~ /^WWW-Authenticate:/mig;
is(scalar @www, 1, 'reader: one challenge');

$r = $t->get('/admin/x');
is($r->{status}, 401, 'no ticket, error_page into a named location: 401');
@www = $r->{raw_headers} =~ /^WWW-Authenticate:/mig;
is(scalar @www, 1, 'no ticket: one challenge');

$r = $t->get('/admin2/x', ticket => $reader);
is($r->{status}, 403, 'reader, error page with ticket off: 403');
is($r->{body}, "custom page user=\n", 'reader: the custom page, no claims');

$r = $t->get('/admin2/x');
is($r->{body}, "custom page user=\n", 'no ticket: the custom page');

# an internal redirect that is not an error page still decides afresh

$r = $t->get('/rewrite/x', ticket => $admin);
is($r->{status}, 200, 'rewrite into /admin/, admin: 200');
$r = $t->get('/rewrite/x', ticket => $reader);
is($r->{status}, 403, 'rewrite into /admin/, reader: 403');

$t->done;
