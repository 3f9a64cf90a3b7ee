#!/usr/bin/perl
# ticket_mode audit lets refused requests through; where claims are
# forwarded (ticket_set_header) the backend is told what the gateway
# decided: Ticket-Decision: allow, or audit for a refusal let through, so
# claims of a ticket refused for kind, audience, role or claim never pass
# for an allowed identity.  A client-sent Ticket-Decision never reaches a
# backend, in any location.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 17);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF2');
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /audit/ {
            ticket user;
            ticket_mode audit;
            ticket_require_role admin;
            ticket_set_header X-User sub;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /enforce/ {
            ticket user;
            ticket_require_role admin;
            ticket_set_header X-User sub;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /open/ {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "user=$http_x_user decision=$http_ticket_decision\n";
        }
    }
EOF2

my $admin = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                     kind => 'user', roles => 'admin');
my $reader = $t->mint(key => $k->{key}, kid => 'k1', sub => 'bob',
                      kind => 'user', roles => 'reader');
my $service = $t->mint(key => $k->{key}, kid => 'k1', sub => 'svc',
                       kind => 'service', roles => 'admin');
my $forged = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                      kind => 'user', roles => 'admin');

sub backend_saw {
    my ($name, $uri, $tk, $want, @h) = @_;
    my $r = $t->get($uri, headers => [@h, defined $tk
                                      ? (Authorization => "Bearer $tk")
                                      : ()]);
    is($r->{status}, 200, "$name: 200");
    is($r->{body}, "$want\n", "$name: backend saw $want");
}

backend_saw('audit, allowed', '/audit/x', $admin,
            'user=alice decision=allow');
backend_saw('audit, wrong role', '/audit/x', $reader,
            'user=bob decision=audit');
backend_saw('audit, wrong kind', '/audit/x', $service,
            'user=svc decision=audit');
backend_saw('audit, forged', '/audit/x', $forged,
            'user= decision=audit');
backend_saw('audit, none, client says allow', '/audit/x', undef,
            'user= decision=audit', 'Ticket-Decision' => 'allow');
backend_saw('audit, wrong role, client says allow', '/audit/x', $reader,
            'user=bob decision=audit', 'Ticket-Decision' => 'allow',
            'Ticket_Decision' => 'allow');
backend_saw('enforce, allowed', '/enforce/x', $admin,
            'user=alice decision=allow', 'Ticket-Decision' => 'audit');
backend_saw('unprotected, client says allow', '/open/x', undef,
            'user= decision=', 'Ticket-Decision' => 'allow');

$t->done;
