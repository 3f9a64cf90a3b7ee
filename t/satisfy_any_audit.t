#!/usr/bin/perl
# satisfy any: a request the ticket refused but another access module
# (allow) admitted is recorded as what happened: the ticket's refusal
# (event denied, its reason) with enforced false and the status sent; a
# refusal that was answered (also through an error page) stays enforced.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use TicketTest;

plan(tests => 22);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF2');
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_events denied over_privilege allowed;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /any-deny/ {
            satisfy any;
            deny all;
            ticket user;
            error_page 401 = @page;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location @page {
            ticket off;
            return 401 "page\n";
        }

        location /strict/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF2

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');
my $forged = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                      kind => 'user');

my $r = $t->get('/any/none');
is($r->{status}, 200, 'satisfy any, no ticket, allow admits: 200');
$r = $t->get('/any/forged', ticket => $forged);
is($r->{status}, 200, 'satisfy any, forged ticket, allow admits: 200');
$r = $t->get('/any/good', ticket => $good);
is($r->{status}, 200, 'satisfy any, good ticket: 200');
$r = $t->get('/any-deny/none');
is($r->{status}, 401, 'satisfy any, nothing admits: 401 (error page)');
$r = $t->get('/strict/none');
is($r->{status}, 401, 'satisfy all, no ticket: 401');

$t->stop;

my %rec;
for my $l (split /\n/, $t->read_file('logs/audit.jsonl')) {
    my $j = decode_json($l);
    $rec{$j->{uri}} = $j;
}

sub check {
    my ($uri, $event, $reason, $status, $enforced) = @_;
    my $j = $rec{$uri};
    ok($j, "$uri: recorded") or return;
    is($j->{event}, $event, "$uri: event $event");
    is($j->{reason}, $reason, "$uri: reason $reason");
    is($j->{status}, $status, "$uri: status $status");
    ok(($j->{enforced} ? 1 : 0) == $enforced,
       "$uri: enforced " . ($enforced ? 'true' : 'false'));
}

check('/any/none', 'denied', 'missing', 200, 0);
check('/any/forged', 'denied', 'bad_signature', 200, 0);
is($rec{'/any/good'}{event}, 'allowed', '/any/good: allowed');
check('/any-deny/none', 'denied', 'missing', 401, 1);

$t->done;
