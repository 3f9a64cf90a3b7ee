#!/usr/bin/perl
# examples/prometheus/ticket-alerts.yml: promtool (Debian package
# prometheus, scripts/deps.sh) accepts it, and every metric it reads is one
# ticket_status exports (ticket_keys_age_seconds belongs to the key
# service, issue 13, and is checked by name only).  A missing promtool
# fails.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

my $t = TicketTest->new;
my $rules = "$FindBin::Bin/../examples/prometheus/ticket-alerts.yml";
my ($promtool) = grep { -x } map { "$_/promtool" }
                 split(/:/, $ENV{PATH}), '/usr/bin';

ok($promtool, 'promtool is installed (Debian package prometheus)');
my ($rc, $o, $e) = $t->run_cmd($promtool // 'promtool', 'check', 'rules',
                               $rules);
is($rc, 0, 'promtool check rules: exit 0') or diag($o . $e);
like($o . $e, qr/SUCCESS: 6 rules found/, 'promtool: 6 rules');

# the metrics the rules read, as the gateway names them
$t->start(<<'EOF2');
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /s {
            ticket_status;
        }
    }
EOF2
my $page = $t->get('/s')->{body};
my $text = $t->read_file($rules);
my %used = map { $_ => 1 } $text =~ /\b(ticket_[a-z_]+)\b/g;
delete $used{$_} for qw(ticket_alert ticket_revocation_max_stale ticket_keys_url ticket_shm_size
                        ticket_oidc_issuer ticket_status);
for my $m (sort keys %used) {
    if ($m eq 'ticket_keys_age_seconds') {
        pass("$m: the key service's metric (issue 13)");
        next;
    }
    like($page, qr/^# TYPE $m /m, "$m: exported by ticket_status");
}
$t->done;
done_testing();
