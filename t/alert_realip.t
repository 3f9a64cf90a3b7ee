#!/usr/bin/perl
# Behind a proxy (README): the audit record's "client" and the
# shared_ticket alert key the client address as nginx sees it.  Behind a
# load balancer every client is the balancer, unless the realip module
# (set_real_ip_from, real_ip_header) gives nginx the real client: then
# records name it and one ticket from three real clients is an alert.
# Without realip the same requests are one address and no alert.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs1_token);
use Time::HiRes qw(time sleep);

plan(tests => 15);

my $t = TicketTest->new;
my $secret = 'alert-realip-hmac-secret-0123456789abcd';
$t->write_file('hs.secret', "$secret\n");

$t->start(<<'EOF');
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_events denied over_privilege excess_privilege allowed;

    # the load balancer is 127.0.0.1; it says who the client is
    server {
        listen 127.0.0.1:%%PORT%%;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;

        location /api/ {
            ticket user;
            ticket_alert shared_ticket 3/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    # the same without realip: every client is the balancer
    server {
        listen 127.0.0.1:%%PORT:nolb%%;

        location /api/ {
            ticket user;
            ticket_alert shared_ticket 3/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $now = int(time);
sub tk {
    return hs1_token($secret, sub => 'alice', kind => 'user', iat => $now,
                     exp => $now + 600, jti => $_[0]);
}

sub records { $t->records(@_) }
sub wait_for { TicketTest::poll($_[0], 10) }

my @clients = qw(203.0.113.1 203.0.113.2 203.0.113.3);

# without realip first: three "clients" behind the balancer

my $lb = tk('j-behind-lb');
for my $c (@clients) {
    is($t->get('/api/x', ticket => $lb, port => $t->port('nolb'),
               headers => ['X-Forwarded-For' => $c])->{status}, 200,
       "no realip, client $c: 200");
}

# with realip: the real clients

my $real = tk('j-real');
for my $c (@clients) {
    is($t->get('/api/x', ticket => $real,
               headers => ['X-Forwarded-For' => $c])->{status}, 200,
       "realip, client $c: 200");
}

ok(wait_for(sub { grep { $_->{event} eq 'alert' } records() }),
   'an alert is written');

my @alerts = grep { $_->{event} eq 'alert' } records();
is(scalar @alerts, 1, 'one alert');
is($alerts[0]{jti}, 'j-real', 'for the ticket seen through realip');
is($alerts[0]{reason}, 'shared_ticket', 'reason shared_ticket');
is($alerts[0]{client}, '203.0.113.3', 'its client: the real third client');

my @allowed = grep { $_->{event} eq 'allowed' } records();
is(join(' ', map { $_->{client} } grep { $_->{jti} eq 'j-real' } @allowed),
   join(' ', @clients), 'realip: records name the real clients');
is(join(' ', map { $_->{client} } grep { $_->{jti} eq 'j-behind-lb' }
             @allowed),
   '127.0.0.1 127.0.0.1 127.0.0.1',
   'no realip: every record names the balancer');

ok(!grep({ ($_->{jti} // '') eq 'j-behind-lb' } @alerts),
   'no realip: no alert (one address)');

$t->done;
